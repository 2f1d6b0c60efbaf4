" .mlp files are mlpc pipeline programs.
autocmd BufRead,BufNewFile *.mlp setfiletype mlp
