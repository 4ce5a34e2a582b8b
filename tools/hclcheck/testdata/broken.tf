variable "region" {
  description = "unterminated
}
