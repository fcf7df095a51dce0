"""GCP constructs: the GKE counterparts of infra/constructs/*.py (network, cluster, GPU node pools,
storage, IAM, KMS, budget). Each imports only the google provider submodules it uses: the bindings
package is large and importing all of it would cost minutes."""
