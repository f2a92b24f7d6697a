// capsicum command-line entry: subcommand dispatch.
import { runPlan } from "./plan";
import { runConvert } from "./convert";

export const USAGE = `usage: capsicum <command> [flags]

commands:
  plan -f <files or dirs>... [-o json|table]   show the NodeClaims capsicum would launch for the given manifests
  convert -f <files or dirs>... [--default-instance-profile NAME]
                                               print v1 NodePools/EC2NodeClasses for v1alpha5 Provisioners/AWSNodeTemplates
  help                                         show this help`;

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
