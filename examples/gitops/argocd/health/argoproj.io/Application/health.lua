-- Health of a child Application in an app-of-apps, so the parent's sync waves wait for each child to be
-- Healthy (Argo CD removed the built-in Application health check in v1.8; it documents adding one).
-- A child's own status.health alone is not enough: since Argo CD 3.x, resources not created yet do not count
-- towards an app's health, so a child whose sync has created only its Namespace reads Healthy and the next
-- wave would start before its Deployments exist. Healthy therefore also needs the sync finished and Synced.
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status == nil then
  hs.message = "waiting for the first reconciliation"
  return hs
end
local op = obj.status.operationState
if op ~= nil and (op.phase == "Running" or op.phase == "Terminating") then
  hs.message = "sync " .. op.phase
  if op.message ~= nil and op.message ~= "" then
    hs.message = hs.message .. ": " .. op.message
  end
  return hs
end
if obj.status.sync == nil or obj.status.sync.status ~= "Synced" then
  if op ~= nil and (op.phase == "Failed" or op.phase == "Error") then
    -- Automated sync gave up (retry limit): nothing converges until a new commit or a manual sync.
    hs.status = "Degraded"
    hs.message = "last sync " .. op.phase
    if op.message ~= nil and op.message ~= "" then
      hs.message = hs.message .. ": " .. op.message
    end
    return hs
  end
  hs.message = "waiting for the Application to be Synced"
  return hs
end
if obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
