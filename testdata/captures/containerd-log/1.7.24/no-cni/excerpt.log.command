ctrdoc lab fault no-cni (it tries one pod-network sandbox) (containerd lab version 1.7); then containerd's log from the fault on, debug and plugin-loading lines left out
