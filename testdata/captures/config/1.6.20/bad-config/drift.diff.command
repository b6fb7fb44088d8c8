diff /var/lib/ctrdoc-lab/config.default.toml /var/lib/ctrdoc-lab/config.toml || true
