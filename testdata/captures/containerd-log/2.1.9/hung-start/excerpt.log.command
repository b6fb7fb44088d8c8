ctrdoc lab fault hung-start --period 2s; 5 s of kubelet-like attempts (containerd lab version 2.1); then containerd's log from the fault on, debug and plugin-loading lines left out
