module edgestream.local/cluster-images

go 1.24
