ctrdoc lab fault no-cni (it tries one pod-network sandbox); then containerd's log from the fault on, debug and plugin-loading lines left out
