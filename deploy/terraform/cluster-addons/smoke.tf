################################################################################
# Smoke app: an unprivileged nginx on the hybrid nodes behind an Ingress of
# the ALB class. An HTTP 200 from the ALB's address proves the whole path:
# internet -> ALB in the public subnets -> VPN -> Calico -> pod on premises.
################################################################################

resource "kubernetes_namespace_v1" "smoke" {
  count = var.smoke_app.enabled ? 1 : 0

  metadata {
    name = "smoke"
    labels = {
      "pod-security.kubernetes.io/enforce" = "restricted"
    }
  }
}

resource "kubernetes_deployment_v1" "smoke" {
  #checkov:skip=CKV_K8S_43:A public demo image chosen by var.smoke_app.image (set an image@sha256 reference there to pin it); it handles no data.
  count = var.smoke_app.enabled ? 1 : 0

  metadata {
    name      = "smoke"
    namespace = kubernetes_namespace_v1.smoke[0].metadata[0].name
    labels    = { app = "smoke" }
  }

  spec {
    replicas = 2

    selector {
      match_labels = { app = "smoke" }
    }

    template {
      metadata {
        labels = { app = "smoke" }
      }

      spec {
        node_selector                   = local.hybrid_selector
        automount_service_account_token = false

        security_context {
          run_as_non_root = true
          run_as_user     = 101
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "nginx"
          image             = var.smoke_app.image
          image_pull_policy = "Always"

          port {
            name           = "http"
            container_port = 8080
          }

          readiness_probe {
            http_get {
              path = "/"
              port = "http"
            }
          }

          liveness_probe {
            http_get {
              path = "/"
              port = "http"
            }
          }

          resources {
            requests = { cpu = "10m", memory = "16Mi" }
            limits   = { cpu = "100m", memory = "64Mi" }
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"
          empty_dir {}
        }
      }
    }
  }

  depends_on = [helm_release.calico]
}

resource "kubernetes_service_v1" "smoke" {
  count = var.smoke_app.enabled ? 1 : 0

  metadata {
    name      = "smoke"
    namespace = kubernetes_namespace_v1.smoke[0].metadata[0].name
  }

  spec {
    selector = { app = "smoke" }

    port {
      name        = "http"
      port        = 80
      target_port = "http"
    }
  }
}

resource "kubernetes_ingress_v1" "smoke" {
  count = var.smoke_app.enabled ? 1 : 0

  metadata {
    name      = "smoke"
    namespace = kubernetes_namespace_v1.smoke[0].metadata[0].name
    annotations = merge({
      # Pod IPs on premises are the targets (routable through the VPN).
      "alb.ingress.kubernetes.io/target-type"      = "ip"
      "alb.ingress.kubernetes.io/healthcheck-path" = "/"
      }, length(var.smoke_app.allowed_cidrs) == 0 ? {} : {
      "alb.ingress.kubernetes.io/inbound-cidrs" = join(",", var.smoke_app.allowed_cidrs)
    })
  }

  spec {
    ingress_class_name = "alb"

    rule {
      http {
        path {
          path      = "/"
          path_type = "Prefix"

          backend {
            service {
              name = kubernetes_service_v1.smoke[0].metadata[0].name
              port {
                number = 80
              }
            }
          }
        }
      }
    }
  }

  wait_for_load_balancer = true

  depends_on = [helm_release.platform]
}
