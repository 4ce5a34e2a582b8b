package main

// Routing and access policies of the EKS hybrid-nodes set-up that a static
// reading of the parts can decide, each evaluated with the parts' example
// settings (terraform.tfvars.example) and plan-time placeholders:
//
//   endpoint  a cluster with remote networks (hybrid nodes) must not have
//             both the public and the private API endpoint: outside the VPC
//             the endpoint's name then resolves to public addresses, so the
//             hybrid nodes use the public one (EKS hybrid nodes docs,
//             "Kubernetes concepts for hybrid nodes"); and a public endpoint
//             must admit the site router's public address (the customer
//             gateway), where the hybrid nodes' traffic comes from.
//   vgw       a VPC module with a VPN gateway must propagate its routes into
//             the route tables of every subnet tier that holds load
//             balancers (kubernetes.io/role/elb, kubernetes.io/role/internal-elb
//             tags): those forward to pod IPs on premises.
//   addons    a cluster with hybrid nodes must not create, in the same
//             part, EKS add-ons whose pods need a node (CoreDNS, kube-proxy,
//             the Pod Identity agent): no node can be Ready before the CNI.
//   sg        the cluster security group EKS creates (Auto Mode nodes carry
//             it) must admit every remote node and pod CIDR, or nothing on
//             premises reaches the cloud nodes.

import (
	"fmt"
	"net"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// RoutingProblems loads every part under root and applies the policies.
func RoutingProblems(root string, placeholders Placeholders) ([]Problem, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "*", "main.tf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var parts []*Part
	for _, mainTf := range dirs {
		part, err := LoadPart(filepath.Dir(mainTf), placeholders)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}

	// The site's public addresses: every customer gateway of every part.
	var siteIPs []net.IP
	for _, part := range parts {
		for _, block := range part.Blocks {
			if block.Type == "resource" && block.Labels[0] == "aws_customer_gateway" {
				if ip := evalString(part, block.Body, "ip_address"); ip != "" {
					siteIPs = append(siteIPs, net.ParseIP(ip))
				}
			}
		}
	}

	var problems []Problem
	for _, part := range parts {
		for _, block := range part.Blocks {
			if block.Type != "module" {
				continue
			}
			where := func(attr string) (string, int) {
				if a, ok := block.Body.Attributes[attr]; ok {
					return a.SrcRange.Filename, a.SrcRange.Start.Line
				}
				return block.DefRange().Filename, block.DefRange().Start.Line
			}
			add := func(attr, message string) {
				path, line := where(attr)
				problems = append(problems, Problem{Path: path, Line: line, Kind: KindPolicy, Message: message})
			}
			name := block.Labels[0]

			if _, hybrid := block.Body.Attributes["remote_network_config"]; hybrid {
				// Defaults of terraform-aws-modules/eks v21: private on, public off.
				public := evalBool(part, block.Body, "endpoint_public_access", false)
				private := evalBool(part, block.Body, "endpoint_private_access", true)
				switch {
				case public == nil || private == nil:
					add("endpoint_public_access", fmt.Sprintf("module %q: the API endpoint access mode is not known at plan time; hybrid nodes need exactly one of public or private", name))
				case *public && *private:
					add("endpoint_public_access", fmt.Sprintf("module %q: hybrid nodes with a public and private API endpoint: outside the VPC the endpoint resolves to public addresses, so choose public or private, not both", name))
				case *public:
					cidrs := evalStrings(part, block.Body, "endpoint_public_access_cidrs", []string{"0.0.0.0/0"})
					for _, ip := range siteIPs {
						if !coveredBy(ip, cidrs) {
							add("endpoint_public_access_cidrs", fmt.Sprintf("module %q: the public API endpoint does not admit the site's public address %s (customer gateway): the hybrid nodes cannot reach the API server", name, ip))
						}
					}
				case !*public && !*private:
					add("endpoint_private_access", fmt.Sprintf("module %q: neither API endpoint is enabled", name))
				}

				// Add-ons whose pods need a node: in the part that creates the
				// cluster no hybrid node exists yet (they join later and are
				// Ready only once the CNI runs), and Terraform waits for
				// ACTIVE until it times out.
				if addons, ok := evalAttr(part, block.Body, "addons"); ok && addons.IsWhollyKnown() && !addons.IsNull() && addons.CanIterateElements() {
					for it := addons.ElementIterator(); it.Next(); {
						key, _ := it.Element()
						if key.Type() == cty.String && nodeAddons[key.AsString()] {
							add("addons", fmt.Sprintf("module %q: add-on %s needs a Ready node, but hybrid nodes join only after this part and the CNI: create it after the CNI (cluster-addons)", name, key.AsString()))
						}
					}
				}

				config, _ := part.Eval(block.Body.Attributes["remote_network_config"].Expr, nil)
				remote := append(cidrsAt(config, "remote_node_networks"), cidrsAt(config, "remote_pod_networks")...)
				if len(remote) == 0 {
					add("remote_network_config", fmt.Sprintf("module %q: the remote node and pod CIDRs are not known at plan time", name))
				}
				admitted, err := ruleCIDRs(part, "module."+name+".cluster_primary_security_group_id")
				if err != nil {
					return nil, err
				}
				for _, cidr := range remote {
					if !rangeCoveredBy(cidr, admitted) {
						add("remote_network_config", fmt.Sprintf("module %q: the cluster security group (module.%s.cluster_primary_security_group_id, carried by the cloud nodes) has no all-traffic ingress rule for the remote range %s: nothing on premises reaches the cloud nodes", name, name, cidr))
					}
				}
			}

			if v := evalBool(part, block.Body, "enable_vpn_gateway", false); v != nil && *v {
				for _, tier := range []struct{ tags, tag, propagate string }{
					{"public_subnet_tags", "kubernetes.io/role/elb", "propagate_public_route_tables_vgw"},
					{"private_subnet_tags", "kubernetes.io/role/internal-elb", "propagate_private_route_tables_vgw"},
				} {
					tags, _ := evalAttr(part, block.Body, tier.tags)
					if tags == cty.NilVal || !tags.IsWhollyKnown() || tags.IsNull() || !tags.Type().IsObjectType() && !tags.Type().IsMapType() {
						continue
					}
					if !tags.Type().IsObjectType() || !tags.Type().HasAttribute(tier.tag) {
						continue
					}
					if p := evalBool(part, block.Body, tier.propagate, false); p == nil || !*p {
						add(tier.propagate, fmt.Sprintf("module %q: subnets tagged %s hold load balancers that forward to pods on premises, but %s is not true: their route tables have no route to the VPN", name, tier.tag, tier.propagate))
					}
				}
			}
		}
	}
	return problems, nil
}

// EKS add-ons that run pods on the nodes and wait for them to be ACTIVE.
var nodeAddons = map[string]bool{"coredns": true, "kube-proxy": true, "eks-pod-identity-agent": true, "vpc-cni": true, "aws-ebs-csi-driver": true}

func evalAttr(part *Part, body *hclsyntax.Body, name string) (cty.Value, bool) {
	attr, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	value, diags := part.Eval(attr.Expr, nil)
	if diags.HasErrors() {
		return cty.DynamicVal, true
	}
	return value, true
}

func evalBool(part *Part, body *hclsyntax.Body, name string, def bool) *bool {
	value, ok := evalAttr(part, body, name)
	if !ok {
		return &def
	}
	if !value.IsWhollyKnown() || value.IsNull() || value.Type() != cty.Bool {
		return nil
	}
	b := value.True()
	return &b
}

func evalString(part *Part, body *hclsyntax.Body, name string) string {
	value, ok := evalAttr(part, body, name)
	if !ok || !value.IsWhollyKnown() || value.IsNull() || value.Type() != cty.String {
		return ""
	}
	return value.AsString()
}

func evalStrings(part *Part, body *hclsyntax.Body, name string, def []string) []string {
	value, ok := evalAttr(part, body, name)
	if !ok {
		return def
	}
	return stringsOf(value)
}

func stringsOf(value cty.Value) []string {
	if !value.IsWhollyKnown() || value.IsNull() || !value.CanIterateElements() {
		return nil
	}
	var out []string
	for it := value.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.Type() == cty.String {
			out = append(out, v.AsString())
		}
	}
	return out
}

func cidrsAt(config cty.Value, network string) []string {
	if config == cty.NilVal || !config.IsWhollyKnown() || config.IsNull() || !config.Type().IsObjectType() || !config.Type().HasAttribute(network) {
		return nil
	}
	inner := config.GetAttr(network)
	if !inner.Type().IsObjectType() || !inner.Type().HasAttribute("cidrs") {
		return nil
	}
	return stringsOf(inner.GetAttr("cidrs"))
}

// ruleCIDRs: the CIDRs of all-traffic ingress rules
// (aws_vpc_security_group_ingress_rule, ip_protocol "-1") whose
// security_group_id is the given reference, over all their instances.
func ruleCIDRs(part *Part, reference string) ([]string, error) {
	var cidrs []string
	for _, block := range part.Blocks {
		if block.Type != "resource" || block.Labels[0] != "aws_vpc_security_group_ingress_rule" {
			continue
		}
		sg, ok := block.Body.Attributes["security_group_id"]
		if !ok || !refersTo(sg.Expr, reference) {
			continue
		}
		instances, err := part.Instances(block)
		if err != nil {
			return nil, err
		}
		for _, each := range instances {
			protocol, _ := part.Eval(block.Body.Attributes["ip_protocol"].Expr, each)
			if !protocol.IsWhollyKnown() || protocol.Type() != cty.String || protocol.AsString() != "-1" {
				continue
			}
			if attr, ok := block.Body.Attributes["cidr_ipv4"]; ok {
				cidr, _ := part.Eval(attr.Expr, each)
				if cidr.IsWhollyKnown() && cidr.Type() == cty.String {
					cidrs = append(cidrs, cidr.AsString())
				}
			}
		}
	}
	return cidrs, nil
}

func refersTo(expr hcl.Expression, reference string) bool {
	for _, traversal := range expr.Variables() {
		text := traversal.RootName()
		for _, step := range traversal[1:] {
			if attr, ok := step.(hcl.TraverseAttr); ok {
				text += "." + attr.Name
			}
		}
		if text == reference {
			return true
		}
	}
	return false
}

func coveredBy(ip net.IP, cidrs []string) bool {
	for _, cidr := range cidrs {
		if _, network, err := net.ParseCIDR(cidr); err == nil && network.Contains(ip) {
			return true
		}
	}
	return false
}

// rangeCoveredBy: one of cidrs contains the whole range inner.
func rangeCoveredBy(inner string, cidrs []string) bool {
	_, in, err := net.ParseCIDR(inner)
	if err != nil {
		return false
	}
	innerBits, _ := in.Mask.Size()
	for _, cidr := range cidrs {
		_, out, err := net.ParseCIDR(cidr)
		if err != nil {
			continue
		}
		outerBits, _ := out.Mask.Size()
		if outerBits <= innerBits && out.Contains(in.IP) {
			return true
		}
	}
	return false
}
