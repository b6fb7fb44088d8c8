node --import tsx src/cli/main.ts cri ps -a -o json --runtime-endpoint unix:///var/lib/ctrdoc-lab/containerd.sock
