node --import tsx src/cli/bin.ts cri pods -o json --runtime-endpoint unix:///var/lib/ctrdoc-lab/containerd.sock
