ctrdoc lab churn --rate 1 --for 3s (one web, one job and one restart pod); debug lines kept, trace lines left out (containerd lab version 1.6); then containerd's log from the churn's start on
