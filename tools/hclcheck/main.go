// Command hclcheck parses and format-checks the project's Terraform and HCL
// files without Terraform itself, and applies a few repository policies that
// neither tflint nor checkov express.
//
// Terraform cannot be installed on the project's machines (its recent
// releases are not open source and do not build from the Go module proxy), so
// this program stands in for `terraform fmt -check` and the parse step of
// `terraform validate`: it uses the same HCL library and the same formatter
// (hclwrite.Format) that `terraform fmt` is built on.
//
// Usage:
//
//	hclcheck [-write] [-policy=false] DIR_OR_FILE...
//	hclcheck helm-values [-placeholders FILE] PART_DIR
//	hclcheck routing [-placeholders FILE] TERRAFORM_ROOT
//
// helm-values prints, as JSON, every helm_release of a Terraform part with
// the values documents Terraform would pass, evaluated from the source
// (tfeval.go); routing applies the hybrid-nodes routing and access policies
// of routing.go to every part under the root.
//
// It exits 0 when every file parses, is formatted and passes the policies,
// 1 when any does not (each problem on its own line as path:line: message),
// and 2 on a usage or I/O error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "helm-values":
			return runHelmValues(args[1:], stdout, stderr)
		case "routing":
			return runRouting(args[1:], stdout, stderr)
		}
	}
	flags := flag.NewFlagSet("hclcheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	write := flags.Bool("write", false, "rewrite unformatted files in place (like terraform fmt) instead of failing")
	policy := flags.Bool("policy", true, "apply the repository policies to *.tf files (typed, described variables; no hard-coded account IDs, regions or secrets)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() == 0 {
		fmt.Fprintln(stderr, "hclcheck: name at least one directory or file to check")
		return 2
	}

	files, err := collect(flags.Args())
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck: %v\n", err)
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "hclcheck: no *.tf, *.tfvars, *.tfvars.example or *.hcl files under %s\n", strings.Join(flags.Args(), " "))
		return 2
	}

	var problems []Problem
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "hclcheck: reading %s: %v\n", path, err)
			return 2
		}
		result := CheckFile(path, src, Options{Policy: *policy})
		if result.Formatted != nil && *write {
			if err := os.WriteFile(path, result.Formatted, 0o644); err != nil {
				fmt.Fprintf(stderr, "hclcheck: rewriting %s: %v\n", path, err)
				return 2
			}
			fmt.Fprintf(stdout, "%s: reformatted\n", path)
			result.Problems = withoutFormatProblems(result.Problems)
		}
		problems = append(problems, result.Problems...)
	}

	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	fmt.Fprintf(stdout, "hclcheck: %d files checked, %d problems\n", len(files), len(problems))
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// collect expands directories into the HCL files below them, skipping the
// provider caches (.terraform) that `terraform init` leaves behind.
func collect(roots []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, root := range roots {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if !seen[root] {
				seen[root] = true
				files = append(files, root)
			}
			continue
		}
		err = filepath.WalkDir(root, func(path string, entry os.DirEntry, walkErr error) error {
			if walkErr != nil {
				return walkErr
			}
			if entry.IsDir() {
				if entry.Name() == ".terraform" || entry.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if isHCLFile(entry.Name()) && !seen[path] {
				seen[path] = true
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

func isHCLFile(name string) bool {
	for _, suffix := range []string{".tf", ".tfvars", ".tfvars.example", ".hcl", ".hcl.example", ".tftest.hcl"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func withoutFormatProblems(in []Problem) []Problem {
	var out []Problem
	for _, p := range in {
		if p.Kind != KindFormat {
			out = append(out, p)
		}
	}
	return out
}

func runHelmValues(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("hclcheck helm-values", flag.ContinueOnError)
	flags.SetOutput(stderr)
	placeholderFile := flags.String("placeholders", "", "JSON of plan-time stand-ins for remote-state outputs known only after apply: {part: {output: value}}")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hclcheck helm-values [-placeholders FILE] PART_DIR")
		return 2
	}
	placeholders, err := LoadPlaceholders(*placeholderFile)
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck helm-values: %v\n", err)
		return 2
	}
	part, err := LoadPart(flags.Arg(0), placeholders)
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck helm-values: %v\n", err)
		return 1
	}
	releases, err := HelmReleases(part)
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck helm-values: %v\n", err)
		return 1
	}
	if len(releases) == 0 {
		fmt.Fprintf(stderr, "hclcheck helm-values: no helm_release in %s\n", flags.Arg(0))
		return 1
	}
	encoder := json.NewEncoder(stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(releases); err != nil {
		fmt.Fprintf(stderr, "hclcheck helm-values: %v\n", err)
		return 2
	}
	return 0
}

func runRouting(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("hclcheck routing", flag.ContinueOnError)
	flags.SetOutput(stderr)
	placeholderFile := flags.String("placeholders", "", "JSON of plan-time stand-ins for remote-state outputs known only after apply")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hclcheck routing [-placeholders FILE] TERRAFORM_ROOT")
		return 2
	}
	placeholders, err := LoadPlaceholders(*placeholderFile)
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck routing: %v\n", err)
		return 2
	}
	problems, err := RoutingProblems(flags.Arg(0), placeholders)
	if err != nil {
		fmt.Fprintf(stderr, "hclcheck routing: %v\n", err)
		return 1
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	fmt.Fprintf(stdout, "hclcheck routing: %d problems\n", len(problems))
	if len(problems) > 0 {
		return 1
	}
	return 0
}
