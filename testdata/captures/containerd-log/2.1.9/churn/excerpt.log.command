ctrdoc lab churn --rate 1 --for 12s; debug and trace lines left out (containerd lab version 2.1); then containerd's log from the churn's start on
