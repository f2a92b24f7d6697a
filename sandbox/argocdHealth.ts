// The Lua health checks capsicum ships for Argo CD (examples/gitops/argocd/health/<group>/<Kind>/health.lua, in
// the layout of Argo CD's own resource_customizations) as argocd-cm keys.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const HEALTH_DIR = join(__dirname, "..", "examples", "gitops", "argocd", "health");

/** `resource.customizations.health.<group>_<Kind>` → Lua source, for every check under `dir`. */
export function healthCustomizations(dir = HEALTH_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  for (const group of readdirSync(dir).sort())
    for (const kind of readdirSync(join(dir, group)).sort()) {
      const lua = join(dir, group, kind, "health.lua");
      if (existsSync(lua)) out[`resource.customizations.health.${group}_${kind}`] = readFileSync(lua, "utf8");
    }
  return out;
}

/** The argocd-cm patch users apply (examples/gitops/argocd/argocd-cm-health.yaml is this, committed). */
export function healthConfigMapYaml(dir = HEALTH_DIR): string {
  const lines = [
    "# Generated from examples/gitops/argocd/health/*/*/health.lua (test/unit/gitops checks they match).",
    "# Merge into argocd-cm, e.g. kubectl -n argocd patch configmap argocd-cm --patch-file argocd-cm-health.yaml",
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: argocd-cm",
    "  namespace: argocd",
    "data:",
  ];
  for (const [k, v] of Object.entries(healthCustomizations(dir))) {
    lines.push(`  ${k}: |`);
    for (const l of v.replace(/\n$/, "").split("\n")) lines.push(l ? `    ${l}` : "");
  }
  return lines.join("\n") + "\n";
}
