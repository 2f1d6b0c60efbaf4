// The .mlp language (docs/language.md). Generated at build time; only compiler/syntax/ sees the
// generated classes. Interpolations inside strings are parsed by compiler/syntax with the `expr`
// entry rule, so the grammar keeps strings whole.
grammar Mlp;

file : topLevel* EOF ;

topLevel
  : importDecl
  | dataDecl
  | stepDecl
  | serverDecl
  | pipelineDecl
  | modelDecl
  | endpointDecl
  | monitorDecl
  | scheduleDecl
  ;

importDecl   : IMPORT STRING (AS ident)? ;
dataDecl     : DATA ident ':' type '=' expr ;
stepDecl     : STEP ident '(' paramList? ')' ('->' outputs)? propertyBlock ;
serverDecl   : SERVER ident '(' paramList? ')' propertyBlock ;
pipelineDecl : PIPELINE ident '(' paramList? ')' block ;
modelDecl    : MODEL ident propertyBlock ;
endpointDecl : ENDPOINT ident propertyBlock ;
monitorDecl  : MONITOR ident propertyBlock ;
scheduleDecl : SCHEDULE ident propertyBlock ;

outputs       : '(' paramList ')' | type ;
paramList     : param (',' param)* ','? ;
param         : ident ':' type ('=' expr)? ;
propertyBlock : '{' property* '}' ;
property      : ident '=' expr ;

type      : ident ('<' type (',' type)* '>')? ('{' fieldType (',' fieldType)* ','? '}')?
          | '{' fieldType (',' fieldType)* ','? '}'   // a nested record: only as a Metrics field
          ;
fieldType : ident ':' type ;

block : '{' statement* '}' ;

// Entry rule only (`file` does not use it): compiler/syntax parses a pipeline's header with it,
// then its statements one at a time, so that no parse tree of a whole pipeline is ever held.
pipelineHead : PIPELINE ident '(' paramList? ')' '{' ;

statement
  : ident '=' expr                            # assignStmt
  | FOR ident IN expr block                   # forStmt
  | IF expr block (ELSE (block | ifElse))?    # ifStmt
  | REGISTER expr IN expr (WITH expr)?        # registerStmt
  | FAIL expr                                 # failStmt
  ;

// `else if` chains: an if statement in the else position.
ifElse : IF expr block (ELSE (block | ifElse))? ;

exprEof : expr EOF ;

expr
  : primary                                           # primaryExpr
  | expr '.' ident                                    # memberExpr
  | expr '(' argList? ')'                             # callExpr
  | expr '[' expr ']'                                 # indexExpr
  | '-' expr                                          # negExpr
  | expr op=('*' | '/') expr                          # mulExpr
  | expr op=('+' | '-') expr                          # addExpr
  | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr  # cmpExpr
  | NOT expr                                          # notExpr
  | expr AND expr                                     # andExpr
  | expr OR expr                                      # orExpr
  ;

primary
  : INT                                  # intLit
  | FLOAT                                # floatLit
  | DURATION                             # durationLit
  | SIZE                                 # sizeLit
  | PERCENT                              # percentLit
  | BAD_UNIT                             # badUnitLit
  | (TRUE | FALSE)                       # boolLit
  | STRING                               # stringLit
  | TRIPLE_STRING                        # tripleStringLit
  | ident                                # nameRef
  | '(' expr ')'                         # parenExpr
  | '[' (expr (',' expr)* ','?)? ']'     # listLit
  | '{' (field (',' field)* ','?)? '}'   # recordLit
  ;

argList : arg (',' arg)* ','? ;
arg     : (ident '=')? expr ;
field   : (ident | STRING) ':' expr ;

// Declaration words are contextual: they also name parameters, arguments, fields and properties.
ident : ID | DATA | STEP | SERVER | PIPELINE | MODEL | ENDPOINT | MONITOR | SCHEDULE ;

// ---- lexer -------------------------------------------------------------------------------------

IMPORT   : 'import' ;
AS       : 'as' ;
IF       : 'if' ;
ELSE     : 'else' ;
FOR      : 'for' ;
IN       : 'in' ;
REGISTER : 'register' ;
WITH     : 'with' ;
FAIL     : 'fail' ;
AND      : 'and' ;
OR       : 'or' ;
NOT      : 'not' ;
TRUE     : 'true' ;
FALSE    : 'false' ;
DATA     : 'data' ;
STEP     : 'step' ;
SERVER   : 'server' ;
PIPELINE : 'pipeline' ;
MODEL    : 'model' ;
ENDPOINT : 'endpoint' ;
MONITOR  : 'monitor' ;
SCHEDULE : 'schedule' ;

ARROW : '->' ;
LE : '<=' ;
GE : '>=' ;
EQ : '==' ;
NE : '!=' ;
LT : '<' ;
GT : '>' ;
ASSIGN : '=' ;
COLON : ':' ;
COMMA : ',' ;
DOT : '.' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;
PLUS : '+' ;
MINUS : '-' ;
STAR : '*' ;
SLASH : '/' ;

// Unit literals come before BAD_UNIT so that `5ms` is a duration, while `5min` (longer) is a
// BAD_UNIT that the checker reports with the list of valid units.
DURATION : NUM ('ms' | 's' | 'm' | 'h' | 'd') ;
SIZE     : NUM ('B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB') ;
PERCENT  : NUM '%' ;
FLOAT    : DIGITS '.' DIGITS EXP? | DIGITS EXP ;
INT      : DIGITS ;
BAD_UNIT : NUM [A-Za-z_] [A-Za-z0-9_]* ;

TRIPLE_STRING : '"""' .*? '"""' ;
STRING        : '"' (ESC | ~["\\\r\n])* '"' ;
UNTERMINATED_STRING : '"' (ESC | ~["\\\r\n])* ;

ID : [A-Za-z_] [A-Za-z0-9_]* ;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
UNTERMINATED_COMMENT : '/*' ( ~[*] | '*'+ ~[*/] )* '*'* EOF ; // cannot contain */
WS            : [ \t\r\n]+ -> skip ; // no token: nothing reads spaces, and a token costs memory
// Anything else becomes one token so the parser reports it with a position (never a lexer abort).
UNKNOWN_CHAR  : . ;

fragment DIGITS : [0-9]+ ;
fragment NUM    : DIGITS ('.' DIGITS)? ;
fragment EXP    : [eE] [+-]? DIGITS ;
fragment ESC    : '\\' . ;
