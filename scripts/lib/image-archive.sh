# Sourced by the scripts that build the local cluster's images. No image
# registry is reachable from this machine, so images are written as image
# archives in the Docker archive layout (manifest.json, a config, one tar per
# layer), which `ctr images import` reads.

# write_image_archive OUT REFERENCE CONFIG LAYER_TAR...
#   CONFIG: the image's runtime settings as JSON (User, Entrypoint, Cmd, Env,
#   ...). The layers are plain (uncompressed) tars, lowest first; they are
#   moved into the archive.
write_image_archive() {
  local out=$1 reference=$2 runtime_config=$3
  shift 3
  local work
  work=$(mktemp -d "$out.work.XXXXXX")
  local layer digest diff_ids="" layers=""
  for layer in "$@"; do
    digest=$(sha256sum "$layer" | cut -d' ' -f1)
    mkdir -p "$work/$digest"
    mv "$layer" "$work/$digest/layer.tar"
    diff_ids+="${diff_ids:+,}\"sha256:$digest\""
    layers+="${layers:+,}\"$digest/layer.tar\""
  done
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$runtime_config" "$diff_ids" >"$work/config.json"
  local config_digest
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config_digest.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' \
    "$config_digest" "$reference" "$layers" >"$work/manifest.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out" .
  rm -rf "$work"
}

# layer_tar DIR OUT: DIR's content as a layer, with fixed owners and times so
# that the same content gives the same digest.
layer_tar() {
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$1" -cf "$2" .
}
