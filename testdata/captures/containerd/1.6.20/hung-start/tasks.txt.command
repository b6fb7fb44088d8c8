ctr -a /var/lib/ctrdoc-lab/containerd.sock -n k8s.io tasks ls
