# Sourced by the install scripts. Heavy downloads and builds (Kafka from
# Maven, Go modules, helm, tflint, versitygw, Jaeger) are cached outside the
# clone, in EDGESTREAM_CACHE_DIR (default /var/cache/edgestream), so that every
# clone on a machine, CI's fresh one included, reuses them. Every entry in it
# is keyed by version (a file name or a stamp holding the pinned version), so
# clones at different commits can share it. var/cache is a link to it; a clone
# whose var/cache is already a real folder keeps using that folder.
link_cache() { # link_cache REPO
  local link=$1/var/cache target=${EDGESTREAM_CACHE_DIR:-/var/cache/edgestream}
  [[ -e $link || -L $link ]] && return 0
  mkdir -p "$target" "$1/var"
  ln -s "$target" "$link"
}
