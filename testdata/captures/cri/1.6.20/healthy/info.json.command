node --import tsx src/cli/main.ts cri info -o json --runtime-endpoint unix:///var/lib/ctrdoc-lab/containerd.sock
