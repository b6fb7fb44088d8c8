grep -E 'shim disconnected|cleaning up|dead shim' /var/lib/ctrdoc-lab/containerd.log | tail -20
