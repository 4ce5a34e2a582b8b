output "smoke_url" {
  description = "URL of the smoke app through the ALB; curl it and expect HTTP 200 (allow a few minutes for the ALB's DNS name)."
  value       = var.smoke_app.enabled ? format("http://%s/", kubernetes_ingress_v1.smoke[0].status[0].load_balancer[0].ingress[0].hostname) : null
}

output "kafka_bootstrap_servers" {
  description = "Bootstrap address of the Kafka cluster's TLS listener (SCRAM-SHA-512) inside the cluster (the chart's kafka.bootstrapServers)."
  value       = "edgestream-kafka-bootstrap.kafka.svc:9093"
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus (the chart's keda.prometheus.serverAddress)."
  value       = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
}

output "edgestream_install_command" {
  description = "Helm command that installs the pipeline with the archive settings from the network part."
  value = join(" ", [
    "helm upgrade --install edgestream deploy/helm/edgestream --namespace kafka",
    "-f deploy/helm/edgestream/values-production.yaml",
    "--set archiver.s3.bucket=${local.network.archive_bucket}",
    "--set archiver.s3.endpointUrl=${local.network.archive_endpoint_url}",
    "--set archiver.s3.region=${var.region}",
  ])
}
