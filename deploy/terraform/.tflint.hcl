# tflint configuration of every part under deploy/terraform (tests/deploy/check-tflint.sh).
config {
  # Remote modules cannot be fetched offline; local modules are inspected.
  call_module_type = "local"
  format           = "compact"
}

# Bundled with tflint; the AWS ruleset plugin cannot be installed offline
# (tflint --init downloads it from GitHub releases), see docs/deploy.md.
plugin "terraform" {
  enabled = true
  preset  = "all"
}
