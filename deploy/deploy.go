// Package deploy holds what a platform team deploys ownerbot with. The App
// manifest is embedded so that `ownerbot manifest` serves the one file that
// is reviewed here.
package deploy

import _ "embed"

// AppManifest is app.yml: the GitHub App manifest, with its comments.
//
//go:embed app.yml
var AppManifest []byte
