"""One hook on moto's instance termination for the emulator modules that hold per-instance state (reservation
slots, placement-group members): each registers a callback instead of wrapping terminate_instances again."""

_callbacks = []
_installed = False


def on_terminate(callback):
    """Calls `callback(instance_ids)` after moto terminates instances."""
    global _installed
    _callbacks.append(callback)
    if _installed:
        return
    _installed = True
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.terminate_instances

    def terminate_instances(self, instance_ids):
        out = original(self, instance_ids)
        for cb in _callbacks:
            cb(instance_ids)
        return out

    InstanceBackend.terminate_instances = terminate_instances
