node --import tsx src/cli/bin.ts cri info -o json --runtime-endpoint unix:///var/lib/ctrdoc-lab/containerd.sock
