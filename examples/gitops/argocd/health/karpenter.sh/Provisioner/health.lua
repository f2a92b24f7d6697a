-- capsicum: health of a karpenter.sh/v1alpha5 Provisioner. capsicum converts it to a v1 NodePool (+ EC2NodeClass)
-- and reports the result in its Converted and Ready conditions (False: the message names the field and the fix).
local hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      if c.status == "False" then
        hs.status = "Degraded"
        hs.message = c.message
        return hs
      elseif c.status == "True" then
        hs.status = "Healthy"
        hs.message = c.message
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for capsicum to convert the Provisioner to a v1 NodePool (+ EC2NodeClass)"
return hs
