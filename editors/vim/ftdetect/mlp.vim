" .mlp files are mlpc pipeline programs. Vim's own detection calls *.mlp OCaml (a rare camlp4
" extension), so this overrules it with `set filetype` rather than `setfiletype`.
autocmd BufRead,BufNewFile *.mlp set filetype=mlp
