// JSON logging shaped like Karpenter's zap output ({"level":"INFO","time":...,"logger":"controller",
// "message":"launched nodeclaim","controller":"nodeclaim.lifecycle","NodeClaim":{"name":...},...}) so the
// dashboards and greps people already use against Karpenter logs keep working.
import pino, { DestinationStream, Logger } from "pino";

export type { Logger } from "pino";

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL?.toLowerCase() ?? "info",
      messageKey: "message",
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      base: { logger: "controller" },
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    },
    opts.destination,
  );
}

/** Child logger for one controller, e.g. `controllerLogger(log, "nodeclaim.lifecycle")`. */
export function controllerLogger(parent: Logger, controller: string): Logger {
  return parent.child({ controller });
}

/** A logger that drops everything: for unit tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
