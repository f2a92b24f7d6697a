// Admission's view of a budget schedule: the reason it is invalid, from the engine's one cron parser.
import { parseCron } from "../../src/apis/cron";

export const cronError = (schedule: string): string | undefined => parseCron(schedule).error;
