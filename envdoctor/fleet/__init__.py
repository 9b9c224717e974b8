"""`envdoctor fleet`: one snapshot per node of a cluster, each node's own findings, and the
cross-node checks (FLT001-FLT029) that judge the nodes against each other.

  collectors   ray_collector (Ray tasks pinned to nodes), slurm_collector (srun, one task per
               node), snapshots_on_disk (--from: files a DaemonSet, Job or ssh loop wrote)
  nodes        FleetNode: a node's identity and its facts, or why it did not answer
  comparison   the node x fact matrix: each node compared with one reference node by `diff`'s
               own comparison (vocabulary/facts_diff.py), then the majority value of every fact
  cross_node   the FLT findings: the outlier nodes named, with the command that aligns each one
  fleet_*      the report as text, JSON, Markdown, SARIF and JUnit

Only the command line (envdoctor/fleet_command.py) runs the per-node checks (as `check --facts`
does) and collects; nothing here writes to a node.
"""
