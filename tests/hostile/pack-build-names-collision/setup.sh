set -eu
for dir in common tenant; do
  mkdir -p "$dir/python/pkg_$dir"
  : > "$dir/python/pkg_$dir/__init__.py"
  printf 'PyYAML==6.0.2\n' > "$dir/requirements.txt"
done
printf 'name: makoto-common\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64, arm64]\nbuild_names:\n  arm64: makoto-tenant\n' > common/layer.yaml
printf 'name: makoto-tenant\ncompatible_runtimes: [python3.11]\n' > tenant/layer.yaml
