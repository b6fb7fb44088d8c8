cat /var/lib/ctrdoc-lab/kubelet/kubelet.log
