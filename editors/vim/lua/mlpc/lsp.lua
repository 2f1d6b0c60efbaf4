-- Neovim (0.7 and later) built-in LSP client for `mlpc lsp`.
--
--   set runtimepath+=/path/to/mlpc/editors/vim      (or add the directory with a plugin manager)
--   lua require('mlpc.lsp').setup()
--
-- Options (all optional): cmd (default {'mlpc', 'lsp'}), root_dir (default: the current
-- directory), on_attach (function(client, bufnr), e.g. to map keys). One server serves every
-- .mlp buffer. Uses vim.lsp.start_client and vim.lsp.buf_attach_client, which Neovim 0.7 has
-- (vim.lsp.start arrived in 0.8).
local M = {}

local client_id = nil

local function running()
  if client_id == nil then
    return false
  end
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and not client.is_stopped()
end

function M.attach(bufnr, opts)
  opts = opts or {}
  if not running() then
    client_id = vim.lsp.start_client({
      name = 'mlpc',
      cmd = opts.cmd or { 'mlpc', 'lsp' },
      root_dir = opts.root_dir or vim.fn.getcwd(),
      on_attach = opts.on_attach,
    })
  end
  if client_id ~= nil then
    vim.lsp.buf_attach_client(bufnr, client_id)
    -- <C-x><C-o> asks the server for completions (Neovim 0.7 sets no omnifunc itself).
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  return client_id
end

function M.setup(opts)
  opts = opts or {}
  local group = vim.api.nvim_create_augroup('mlpc_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'mlp',
    callback = function(args)
      M.attach(args.buf, opts)
    end,
  })
end

return M
