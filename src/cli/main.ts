// capsicum command-line entry: subcommand dispatch.
import { runPlan } from "./plan";
import { runConvert } from "./convert";
import { runValidate } from "./validate";

export const USAGE = `usage: capsicum <command> [flags]

commands:
  plan -f <files or dirs>... [-o json|table]   show the NodeClaims capsicum would launch for the given manifests
       [--region R [--zones R-a,R-b]]          in region R (default AWS_REGION, else us-east-1); a region without
                                               embedded offerings assumes every type in --zones (default R-a,b,c)
                                               and us-east-1 on-demand prices, both stated in the output notes
  plan -f <files or dirs>... --diff <git-ref> | --base <dir> [-w <workload>...] [-o table|markdown|json]
                                               compare the plan of the NodePools/EC2NodeClasses/NodeOverlays in
                                               -f at the git ref (or in <dir>) with the working tree, over the
                                               same workload (-w manifests or a \`kubectl get pods,daemonsets -A
                                               -o yaml\` snapshot; default: the workload found in -f), both
                                               planned from scratch: NodeClaims and instance types added and
                                               removed, $/h before -> after, pods that become unschedulable;
                                               -o markdown is a pull-request comment, -o json a stable contract
  convert -f <files or dirs>... [--default-instance-profile NAME]
                                               print v1 NodePools/EC2NodeClasses for v1alpha5 Provisioners/AWSNodeTemplates
  validate -f <files or dirs>... [--strict] [--region R] [-o text|json]
                                               the admission verdict offline (for pull requests): Karpenter's CRD
                                               schema + CEL rules decide valid/invalid, capsicum's findings
                                               (satisfiability in region R, typos, cron, node classes) are
                                               warnings; prints file:line: path: message; --strict fails on
                                               warnings; -o json: {"documents":[{file,kind,name,verdict,errors,
                                               warnings}]}; exit 0 all valid, 1 any invalid (--strict: any
                                               warning), 2 usage or read error
  help                                         show this help

exit codes of plan:
  0  every pod fits (with --diff/--base: no pod becomes unschedulable because of the change)
  1  an input could not be read (the message names the file and the field)
  2  usage error (unknown flag, missing value, unsupported -o, bad git ref)
  3  pods are unschedulable (with --diff/--base: pods the base schedules become unschedulable)`;

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "plan":
      return runPlan(rest, out, err);
    case "convert":
      return runConvert(rest, out, err);
    case "validate":
      return runValidate(rest, out, err);
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return 0;
    default:
      err(cmd ? `unknown command "${cmd}"\n${USAGE}` : USAGE);
      return 2;
  }
}
