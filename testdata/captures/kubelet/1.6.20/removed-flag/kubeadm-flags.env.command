cat /var/lib/ctrdoc-lab/kubelet/kubeadm-flags.env
