" Syntax for mlpc pipeline programs (.mlp), following grammar/Mlp.g4.
if exists('b:current_syntax')
  finish
endif

syn keyword mlpDecl       import data step server pipeline model endpoint monitor schedule
syn keyword mlpKeyword    as with register fail
syn keyword mlpConditional if else
syn keyword mlpRepeat     for in
syn keyword mlpOperator   and or not
syn keyword mlpBoolean    true false
syn keyword mlpType       int float bool string duration size percent list File Dir Dataset Model Metrics

syn match   mlpNumber     "\<\d\+\(\.\d\+\)\=\([eE][+-]\=\d\+\)\=\>"
syn match   mlpUnit       "\<\d\+\(\.\d\+\)\=\(ms\|s\|m\|h\|d\|B\|KB\|MB\|GB\|TB\|KiB\|MiB\|GiB\|TiB\)\>"
syn match   mlpUnit       "\<\d\+\(\.\d\+\)\=%"
syn match   mlpArrow      "->"

syn region  mlpInterp     matchgroup=mlpInterpDelim start="\${" end="}" contained contains=mlpNumber,mlpString,mlpBoolean,mlpOperator
syn match   mlpEscape     "\\." contained
syn region  mlpString     start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=mlpInterp,mlpEscape
syn region  mlpString     start=+"""+ end=+"""+ contains=mlpInterp

syn keyword mlpTodo       TODO FIXME XXX contained
syn match   mlpComment    "//.*$" contains=mlpTodo
syn region  mlpComment    start="/\*" end="\*/" contains=mlpTodo

" The name after a declaration keyword.
syn match   mlpDeclName   "\(\<\(step\|server\|pipeline\|model\|endpoint\|monitor\|schedule\|data\)\s\+\)\@<=\h\w*"

hi def link mlpDecl        Keyword
hi def link mlpKeyword     Keyword
hi def link mlpConditional Conditional
hi def link mlpRepeat      Repeat
hi def link mlpOperator    Operator
hi def link mlpBoolean     Boolean
hi def link mlpType        Type
hi def link mlpNumber      Number
hi def link mlpUnit        Number
hi def link mlpArrow       Operator
hi def link mlpString      String
hi def link mlpEscape      SpecialChar
hi def link mlpInterpDelim Delimiter
hi def link mlpComment     Comment
hi def link mlpTodo        Todo
hi def link mlpDeclName    Function

let b:current_syntax = 'mlp'
