package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// HelmRelease is one helm_release of a part with the values documents
// Terraform would pass, rendered from the source.
type HelmRelease struct {
	Resource   string   `json:"resource"`
	Name       string   `json:"name"`
	Chart      string   `json:"chart"`
	Repository string   `json:"repository,omitempty"`
	Version    string   `json:"version,omitempty"`
	Namespace  string   `json:"namespace,omitempty"`
	Local      bool     `json:"local"`
	Values     []string `json:"values"`
}

// HelmReleases evaluates every helm_release of the part. A values document
// that is not known at plan time (it depends on something only apply
// knows and no placeholder stands in for) is an error naming the release:
// the check would otherwise validate less than Terraform sends.
func HelmReleases(part *Part) ([]HelmRelease, error) {
	var releases []HelmRelease
	for _, block := range part.Blocks {
		if block.Type != "resource" || block.Labels[0] != "helm_release" {
			continue
		}
		release := HelmRelease{Resource: "helm_release." + block.Labels[1]}
		str := func(name string) (string, error) {
			attr, ok := block.Body.Attributes[name]
			if !ok {
				return "", nil
			}
			value, diags := part.Eval(attr.Expr, nil)
			if diags.HasErrors() {
				return "", fmt.Errorf("%s.%s: %v", release.Resource, name, diags)
			}
			if !value.IsWhollyKnown() || value.IsNull() || value.Type() != cty.String {
				return "", fmt.Errorf("%s.%s is not a string known at plan time", release.Resource, name)
			}
			return value.AsString(), nil
		}
		var err error
		for _, field := range []struct {
			name string
			dest *string
		}{{"name", &release.Name}, {"chart", &release.Chart}, {"repository", &release.Repository}, {"version", &release.Version}, {"namespace", &release.Namespace}} {
			if *field.dest, err = str(field.name); err != nil {
				return nil, err
			}
		}
		release.Local = release.Repository == ""
		if release.Local {
			release.Chart = filepath.Clean(release.Chart)
		}
		if attr, ok := block.Body.Attributes["values"]; ok {
			value, diags := part.Eval(attr.Expr, nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("%s.values: %v", release.Resource, diags)
			}
			for i, it := 0, value.ElementIterator(); it.Next(); i++ {
				_, doc := it.Element()
				if !doc.IsWhollyKnown() {
					return nil, fmt.Errorf("%s.values[%d] is not known at plan time: it uses a value known only after apply; give the remote-state output it reads a placeholder", release.Resource, i)
				}
				release.Values = append(release.Values, doc.AsString())
			}
		}
		releases = append(releases, release)
	}
	sort.Slice(releases, func(i, j int) bool { return releases[i].Resource < releases[j].Resource })
	return releases, nil
}
