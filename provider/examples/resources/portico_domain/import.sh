# A custom domain name, or <domain_name>/<base_path> for one mapped under a base path.
terraform import portico_domain.api api.example.com
