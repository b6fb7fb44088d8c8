ctrdoc lab fault bad-config --variant drift; ctrdoc lab up --pods 3 (one new pod) (containerd lab version 1.7); then containerd's log from the fault on, debug and plugin-loading lines left out
