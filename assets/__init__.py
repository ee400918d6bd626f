"""What peerbench builds: one module per source family, the dbt mart and the publications."""
