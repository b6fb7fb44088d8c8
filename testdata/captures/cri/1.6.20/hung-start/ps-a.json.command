node --import tsx src/cli/bin.ts cri ps -a -o json --runtime-endpoint unix:///var/lib/ctrdoc-lab/containerd.sock
