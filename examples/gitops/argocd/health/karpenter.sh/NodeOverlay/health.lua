-- capsicum: health of a karpenter.sh/v1alpha1 NodeOverlay (Argo CD has no built-in check for it).
-- Karpenter reports ValidationSucceeded (False on a conflict with another overlay of the same weight) and Ready.
local hs = {}
local conds = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  conds = obj.status.conditions
end
for _, c in ipairs(conds) do
  if c.observedGeneration ~= nil and obj.metadata.generation ~= nil and c.observedGeneration < obj.metadata.generation then
    hs.status = "Progressing"
    hs.message = "Waiting for the controller to observe generation " .. obj.metadata.generation
    return hs
  end
end
for _, c in ipairs(conds) do
  if (c.type == "ValidationSucceeded" or c.type == "Ready") and c.status == "False" then
    hs.status = "Degraded"
    hs.message = c.message or c.reason or (c.type .. " is False")
    return hs
  end
end
for _, c in ipairs(conds) do
  if c.type == "Ready" then
    if c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message or ""
      return hs
    end
    hs.status = "Progressing"
    hs.message = c.message or "Waiting for NodeOverlay to be validated"
    return hs
  end
end
-- No conditions: the overlay was admitted (admission already applied Karpenter's rules) and nothing has
-- reported a problem; say so instead of waiting forever.
hs.status = "Healthy"
hs.message = "Admitted; no status conditions reported yet"
return hs
