// The ArkUI declarative surface the sample app's page uses: decorators, the components and
// attributes it calls, and the CustomComponent base that `struct` components get. Written from
// the ArkUI API reference for the members used here only; DevEco uses the real SDK.

declare const Entry: ClassDecorator;
declare const Component: ClassDecorator;
declare const State: PropertyDecorator;
declare const Builder: MethodDecorator;

declare type Length = string | number;
declare type ResourceColor = string | number;

declare enum FontWeight {
  Normal = 0,
  Medium = 1,
  Bold = 2
}
declare enum HorizontalAlign {
  Start = 0,
  Center = 1,
  End = 2
}
declare enum InputType {
  Normal = 0,
  Number = 1,
  NUMBER_DECIMAL = 12
}

declare interface ClickEvent {
  timestamp: number;
}

declare class CommonMethod<T> {
  width(value: Length): T;
  height(value: Length): T;
  padding(value: Length): T;
  margin(value: Length): T;
  backgroundColor(value: ResourceColor): T;
  enabled(value: boolean): T;
  layoutWeight(value: number): T;
  onClick(event: (event: ClickEvent) => void): T;
}

declare class ColumnAttribute extends CommonMethod<ColumnAttribute> {
  alignItems(value: HorizontalAlign): ColumnAttribute;
}
declare interface ColumnOptions {
  space?: string | number;
}
declare interface ColumnInterface {
  (value?: ColumnOptions): ColumnAttribute;
}
declare const Column: ColumnInterface;

declare class TextAttribute extends CommonMethod<TextAttribute> {
  fontSize(value: number | string): TextAttribute;
  fontWeight(value: FontWeight): TextAttribute;
  fontColor(value: ResourceColor): TextAttribute;
}
declare interface TextInterface {
  (content?: string): TextAttribute;
}
declare const Text: TextInterface;

declare class TextInputAttribute extends CommonMethod<TextInputAttribute> {
  type(value: InputType): TextInputAttribute;
  onChange(callback: (value: string) => void): TextInputAttribute;
}
declare interface TextInputOptions {
  placeholder?: string;
  text?: string;
}
declare interface TextInputInterface {
  (value?: TextInputOptions): TextInputAttribute;
}
declare const TextInput: TextInputInterface;

declare class ButtonAttribute extends CommonMethod<ButtonAttribute> {
  fontSize(value: number | string): ButtonAttribute;
}
declare interface ButtonInterface {
  (label: string): ButtonAttribute;
}
declare const Button: ButtonInterface;

declare class RowAttribute extends CommonMethod<RowAttribute> {}
declare interface RowOptions {
  space?: string | number;
}
declare interface RowInterface {
  (value?: RowOptions): RowAttribute;
}
declare const Row: RowInterface;

// promptAction.Button, ActionMenuOptions (at most 6 buttons), ActionMenuSuccessResponse.
declare interface ActionMenuButton {
  text: string;
  color: string;
}
declare interface ActionMenuOptions {
  title?: string;
  buttons: [
    ActionMenuButton,
    ActionMenuButton?,
    ActionMenuButton?,
    ActionMenuButton?,
    ActionMenuButton?,
    ActionMenuButton?
  ];
}
declare interface ActionMenuSuccessResponse {
  index: number;
}
declare class PromptAction {
  /** Resolves with the tapped button's index; rejects when the menu is dismissed. */
  showActionMenu(options: ActionMenuOptions): Promise<ActionMenuSuccessResponse>;
}

declare class UIContext {
  getHostContext(): import('@kit.AbilityKit').Context | undefined;
  getPromptAction(): PromptAction;
}

declare class CustomComponent {
  build(): void;
  aboutToAppear?(): void;
  aboutToDisappear?(): void;
  getUIContext(): UIContext;
}

// ForEach renders one child per array item; the key generator keeps items stable across updates.
declare interface ForEachInterface {
  <T>(arr: T[], itemGenerator: (item: T, index: number) => void, keyGenerator?: (item: T, index: number) => string): void;
}
declare const ForEach: ForEachInterface;
