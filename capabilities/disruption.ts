// Disruption inputs beyond the shared state: PodDisruptionBudgets (eviction safety). The disruption and
// interruption loops themselves run on the engine's timers. Logic: src/disruption/, src/interruption/.
import { Capability, a } from "pepr";
import { feed } from "./controllers";

export const Disruption = new Capability({
  name: "disruption",
  description: "Emptiness, consolidation, drift, expiration, budgets and interruption handling",
});
const { When } = Disruption;

When(a.PodDisruptionBudget).IsCreatedOrUpdated().Watch(feed("PodDisruptionBudget"));
When(a.PodDisruptionBudget).IsDeleted().Watch(feed("PodDisruptionBudget"));
