ctrdoc lab fault dead-shim; then containerd's log from the fault on, debug and plugin-loading lines left out
