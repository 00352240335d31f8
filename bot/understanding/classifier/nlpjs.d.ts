// NLP.js ships no type declarations; these cover the few calls Forbear makes.
declare module '@nlpjs/core' {
  export interface Container {
    use(plugin: unknown): void;
    get(name: 'nlp'): import('@nlpjs/nlp').Nlp;
  }
  export function containerBootstrap(): Promise<Container>;
}
declare module '@nlpjs/nlp' {
  export interface Classification {
    intent: string;
    score: number;
  }
  export interface Nlp {
    settings: Record<string, unknown>;
    addLanguage(locale: string): void;
    useNlu(className: 'NeuralNlu', locales: string[], domain: undefined, settings: { learningRate: number }): void;
    addDocument(locale: string, utterance: string, intent: string): void;
    train(): Promise<unknown>;
    process(locale: string, utterance: string): Promise<{ classifications: Classification[] }>;
    /** The NLU `process` runs inside its pipeline (nlp.js 4: `Nlp.process` hands it this input). */
    nluManager: {
      process(input: { locale: string; utterance: string; context: object; settings: object }): Promise<{ classifications: Classification[] }>;
    };
    export(minified?: boolean): string;
    /** A model's JSON, or that JSON already parsed. */
    import(data: string | object): void;
  }
  export const Nlp: unknown;
}
declare module '@nlpjs/lang-en-min' {
  export const LangEn: unknown;
  export class StemmerEn {
    stemWord(word: string): string;
  }
}
