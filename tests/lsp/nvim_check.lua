-- Driven by nvim_test.sh: Neovim's own LSP client, configured by editors/vim, against `mlpc lsp`.
-- Opens $MLP_FILE (an example with a mistake), waits for the diagnostic, asks for a hover, jumps
-- to two definitions, asks for a completion after `split.`, and writes what it saw to $OUT as key=value lines. Every wait has a
-- timeout, and the script always quits.
local out = {}
local function emit(k, v)
  table.insert(out, k .. '=' .. tostring(v):gsub('\n', '\\n'))
end

-- The 0-based (line, column) of the first `needle` in the buffer, plus `delta` columns.
local function find(buf, needle, delta)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1 + (delta or 0)
    end
  end
  error('not in the buffer: ' .. needle)
end

local function jump(buf, needle, delta)
  local l, c = find(buf, needle, delta)
  vim.api.nvim_win_set_cursor(0, { l + 1, c })
  local before = vim.api.nvim_buf_get_name(0) .. ':' .. (l + 1)
  vim.lsp.buf.definition()
  vim.wait(15000, function()
    local now = vim.api.nvim_buf_get_name(0) .. ':' .. vim.api.nvim_win_get_cursor(0)[1]
    return now ~= before
  end, 50)
  local name = vim.api.nvim_buf_get_name(0)
  local row = vim.api.nvim_win_get_cursor(0)[1]
  return name, row
end

local ok, err = pcall(function()
  require('mlpc.lsp').setup({ cmd = { os.getenv('MLPC'), 'lsp' } })
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('MLP_FILE')))
  local buf = vim.api.nvim_get_current_buf()
  emit('filetype', vim.bo[buf].filetype)
  emit('commentstring', vim.bo[buf].commentstring)
  emit('syntax', vim.b[buf].current_syntax)
  emit('errmsg', vim.v.errmsg)

  local arrived = vim.wait(30000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  emit('diagnostics_arrived', arrived)
  emit('omnifunc', vim.bo[buf].omnifunc)
  local d = vim.diagnostic.get(buf)[1]
  if d then
    emit('diag_code', d.code)
    emit('diag_line', d.lnum + 1)
    emit('diag_message', d.message)
  end

  local l, c = find(buf, 'sklearn.Evaluate', #'sklearn.')
  local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = l, character = c },
  }, 15000)
  for _, r in pairs(res or {}) do
    if r.result and r.result.contents then
      emit('hover', r.result.contents.value)
    end
  end

  local name, row = jump(buf, 'data = split.train', #'data = s')
  emit('def_binding_file', vim.fn.fnamemodify(name, ':t'))
  emit('def_binding_line', row)
  name, row = jump(buf, 'local.Prepare', #'local.')
  emit('def_import_file', vim.fn.fnamemodify(name, ':t'))
  emit('def_import_line', row)

  -- Completion on a half-typed line: the client sends the edit, the server answers from the
  -- last version that parsed.
  local il = find(buf, 'if scores.auc')
  vim.api.nvim_buf_set_lines(buf, il, il, false, { '  x = split.' })
  res = vim.lsp.buf_request_sync(buf, 'textDocument/completion', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = il, character = #'  x = split.' },
  }, 15000)
  local labels = {}
  for _, r in pairs(res or {}) do
    local items = r.result and (r.result.items or r.result) or {}
    for _, item in ipairs(items) do
      table.insert(labels, item.label)
    end
  end
  table.sort(labels)
  emit('completion', table.concat(labels, ','))
end)
if not ok then
  emit('error', err)
end
vim.fn.writefile(out, os.getenv('OUT'))
vim.cmd('qa!')
