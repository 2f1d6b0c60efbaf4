namespace mlpc::plan {}
