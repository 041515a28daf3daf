import type { types } from '@slack/bolt';

/** Block Kit types, taken from Bolt's re-export so no transitive package is imported directly. */
export type KnownBlock = types.KnownBlock;
export type Button = types.Button;
export type ContextBlock = types.ContextBlock;
export type HeaderBlock = types.HeaderBlock;
export type SectionBlock = types.SectionBlock;
export type RichTextBlock = types.RichTextBlock;
export type TableBlock = types.TableBlock;
export type DataTableBlock = types.DataTableBlock;
export type HomeView = types.HomeView;
