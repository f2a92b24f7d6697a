-- Health of a child Application in an app-of-apps, so the parent's sync waves wait for each child to be
-- Healthy (Argo CD removed the built-in Application health check in v1.8; it documents adding this one).
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
