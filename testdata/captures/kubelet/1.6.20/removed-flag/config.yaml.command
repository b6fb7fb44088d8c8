cat /var/lib/ctrdoc-lab/kubelet/config.yaml
