ctrdoc goroutines --pid CONTAINERD --signal (containerd lab version 2.1); then containerd's log from the fault on, debug and plugin-loading lines left out
